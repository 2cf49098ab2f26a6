/** A business day picker (YYYY-MM-DD) with its problem, read out with it, and the hint the form shares. */
export function DayField({
  id,
  label,
  value,
  problem,
  hintId,
  onInput,
}: {
  id: string;
  label: string;
  value: string;
  problem: string | undefined;
  hintId: string;
  onInput(value: string): void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        data-testid={id}
        type="date"
        value={value}
        required
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? `${id}-problem ${hintId}` : hintId}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      {problem && (
        <p id={`${id}-problem`} class="field-problem">
          {problem}
        </p>
      )}
    </div>
  );
}
