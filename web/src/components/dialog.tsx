/**
 * A modal dialog on the native <dialog>: showModal() makes the rest of the page inert and keeps focus inside;
 * Escape closes it; focus returns to what opened it. Enter submits the form inside it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

interface Props {
  title: string;
  onClose(): void;
  children: ComponentChildren;
  /** Keeps Escape from closing it (while a request is on its way). */
  busy?: boolean;
  testId?: string;
}

export function Dialog({ title, onClose, children, busy = false, testId }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const busyRef = useRef(busy);
  busyRef.current = busy;
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (!busyRef.current) closeRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog ref={ref} class="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={testId}>
      <div class="dialog-body">
        <h2 id={titleId} class="dialog-title">
          {title}
        </h2>
        {children}
      </div>
    </dialog>
  );
}
