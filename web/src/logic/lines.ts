/**
 * Order lines as the detail screen and the pick list show them: the lines of a bundle together under the
 * bundle, everything else in order. A bundle takes the place of its first line.
 */

export interface LineSegment<L> {
  /** The bundle's BundleGroupID, or null for a line sold on its own. */
  bundleGroupId: string | null;
  lines: L[];
}

export function groupLines<L extends { bundleGroupId: string | null }>(lines: readonly L[]): LineSegment<L>[] {
  const segments: LineSegment<L>[] = [];
  const bundles = new Map<string, LineSegment<L>>();
  for (const line of lines) {
    if (line.bundleGroupId === null) {
      segments.push({ bundleGroupId: null, lines: [line] });
      continue;
    }
    const bundle = bundles.get(line.bundleGroupId);
    if (bundle) bundle.lines.push(line);
    else {
      const segment = { bundleGroupId: line.bundleGroupId, lines: [line] };
      bundles.set(line.bundleGroupId, segment);
      segments.push(segment);
    }
  }
  return segments;
}

/** Units to pick: the quantities summed. */
export const totalQuantity = (lines: readonly { quantity: number }[]): number => lines.reduce((n, line) => n + line.quantity, 0);
