import { nextTick, onBeforeUnmount, watch, type Ref } from 'vue';

/**
 * What a modal dialog owes keyboard and screen-reader users, on top of the
 * UI library's dialog (which puts `role="dialog"` and `aria-modal` on it but
 * lets Tab leave it and forgets where the focus came from):
 *
 * - while open, everything else on the page is `inert`: Tab stays in the
 *   dialog, nothing behind it can be clicked or opened, and screen readers
 *   read only the dialog;
 * - the focus moves to the first field (or button) in the dialog;
 * - Escape closes it, wherever the focus is (unless it must not close now);
 * - on close, the focus returns to the control that opened it.
 */

const FOCUSABLE = [
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'button:not([disabled])',
  'a[href]',
  '[tabindex]:not([tabindex="-1"])',
].join(', ');

/** Elements of `root` that Tab reaches, in order (the dialog's own wrappers with tabindex excluded). */
export function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (element) => !element.hasAttribute('data-dialog-frame') && element.getClientRects().length > 0,
  );
}

/** Prefers a text field, then anything else that takes the focus. */
function firstTarget(root: HTMLElement): HTMLElement | null {
  const all = tabbables(root);
  return all.find((element) => element.matches('input, textarea, select')) ?? all[0] ?? null;
}

interface ModalFocusOptions {
  /** The open state, as the dialog's v-model. */
  open: Ref<boolean>;
  /** The dialog's outermost element once rendered (teleported to `<body>`). */
  element: () => HTMLElement | null;
  /** True while the dialog must stay open (a request in flight). */
  persistent: () => boolean;
}

export function useModalFocus({ open, element, persistent }: ModalFocusOptions): void {
  let trigger: HTMLElement | null = null;
  let inerted: HTMLElement[] = [];

  function releaseBackground(): void {
    for (const node of inerted) node.inert = false;
    inerted = [];
  }

  function holdBackground(dialog: HTMLElement): void {
    releaseBackground();
    for (const node of [...document.body.children] as HTMLElement[]) {
      if (node === dialog || node.contains(dialog) || node.inert) continue;
      if (node.tagName === 'SCRIPT' || node.tagName === 'STYLE') continue;
      node.inert = true;
      inerted.push(node);
    }
  }

  function onKeydown(event: KeyboardEvent): void {
    const dialog = element();
    if (!open.value || dialog === null) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      if (!persistent()) open.value = false;
      return;
    }
    if (event.key !== 'Tab') return;
    // Wrap around inside the dialog rather than out to the browser's own controls.
    const all = tabbables(dialog);
    if (all.length === 0) return;
    const first = all[0]!;
    const last = all[all.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active) || active === dialog)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  async function opened(): Promise<void> {
    const active = document.activeElement;
    trigger = active instanceof HTMLElement && active !== document.body ? active : null;
    document.addEventListener('keydown', onKeydown, true);
    // The library renders the dialog and focuses its frame on the next tick; take over after it.
    await nextTick();
    await nextTick();
    const dialog = element();
    if (dialog === null || !open.value) return;
    for (const frame of dialog.querySelectorAll<HTMLElement>('[data-id="content"]')) {
      frame.setAttribute('tabindex', '-1');
      frame.setAttribute('data-dialog-frame', '');
    }
    dialog.setAttribute('tabindex', '-1');
    dialog.setAttribute('data-dialog-frame', '');
    holdBackground(dialog);
    (firstTarget(dialog) ?? dialog).focus();
  }

  function closed(): void {
    document.removeEventListener('keydown', onKeydown, true);
    releaseBackground();
    const target = trigger;
    trigger = null;
    if (target === null) return;
    // After the closing transition, if the trigger is still there (a removed row's button is not).
    void nextTick(() => {
      if (target.isConnected) target.focus();
    });
  }

  watch(
    open,
    (isOpen, wasOpen) => {
      if (isOpen) void opened();
      else if (wasOpen === true) closed();
    },
    { immediate: true },
  );

  onBeforeUnmount(() => {
    if (open.value) closed();
  });
}
