/**
 * The company lookup behind the 名称 field: asks the organization's registry service (through
 * `GET /api/scan/{token}/titles`) from the 2nd character, once the consumer pauses typing, and never
 * in the middle of an IME composition (拼音 being typed is not yet the name). Only the latest
 * question's answer is shown. No DOM here: the form view binds it to the input, tests drive it with
 * their own scheduler.
 */
export interface TitleSuggestion {
  name: string;
  taxId: string;
  address?: string;
  phone?: string;
  bankName?: string;
  bankAccount?: string;
}

export interface TitleLookupOptions {
  search: (q: string) => Promise<TitleSuggestion[]>;
  /** The suggestions for `q` (an empty list hides them). */
  show: (suggestions: TitleSuggestion[], q: string) => void;
  delayMs?: number;
  /** Runs `fn` after `ms`; returns a cancel. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

export const LOOKUP_DELAY_MS = 300;
export const LOOKUP_MIN_CHARS = 2;

const timer = (fn: () => void, ms: number) => {
  const id = setTimeout(fn, ms);
  return () => clearTimeout(id);
};

export function createTitleLookup(options: TitleLookupOptions) {
  const schedule = options.schedule ?? timer;
  const delay = options.delayMs ?? LOOKUP_DELAY_MS;
  let composing = false;
  let pending: (() => void) | null = null;
  let shown = "";
  let latest = 0;

  const cancel = () => {
    pending?.();
    pending = null;
  };

  function typed(value: string): void {
    if (composing) return;
    cancel();
    const q = value.trim();
    if (Array.from(q).length < LOOKUP_MIN_CHARS) {
      latest += 1;
      shown = "";
      options.show([], q);
      return;
    }
    if (q === shown) return;
    pending = schedule(() => {
      pending = null;
      const mine = ++latest;
      shown = q;
      options.search(q).then(
        (found) => mine === latest && options.show(found, q),
        () => mine === latest && options.show([], q),
      );
    }, delay);
  }

  return {
    /** Every `input` event of the field. */
    input: typed,
    compositionStart(): void {
      composing = true;
      cancel();
    },
    /** The composed text is final: it counts as typed. */
    compositionEnd(value: string): void {
      composing = false;
      typed(value);
    },
    /** A title was picked or the field left: forget the question, drop answers on the way. */
    close(): void {
      cancel();
      latest += 1;
      shown = "";
    },
  };
}
