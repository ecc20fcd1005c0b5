/**
 * The buyer's details remembered on this phone, so the next receipt's form is already filled.
 * Only on the device (localStorage), never sent anywhere but with a submit. Storage can be missing
 * or throw (private browsing, some in-app browsers, a full quota): then the page simply forgets.
 */
import type { BuyerType, InvoiceType } from "./api";
import { BUYER_TYPE_ORDER, type FormState, TEXT_FIELDS } from "./form";

export const STORAGE_KEY = "piaoma.scan.buyer.v1";

export type SavedBuyer = Partial<Omit<FormState, "invoiceType">>;

/** What is kept: the buyer and the contacts, not the invoice type (each receipt has its own default). */
export function toSaved(state: FormState): SavedBuyer {
  const saved: SavedBuyer = { buyerType: state.buyerType };
  for (const key of TEXT_FIELDS) {
    const value = state[key].trim();
    if (value) saved[key] = value;
  }
  return saved;
}

/** Reads what was stored defensively: an old or tampered value yields only its well-formed parts. */
export function parseSaved(text: string | null): SavedBuyer | null {
  if (!text) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object") return null;
  const record = raw as Record<string, unknown>;
  const saved: SavedBuyer = {};
  if (BUYER_TYPE_ORDER.includes(record.buyerType as BuyerType))
    saved.buyerType = record.buyerType as BuyerType;
  for (const key of TEXT_FIELDS) {
    const value = record[key];
    if (typeof value === "string" && value.length <= 300) saved[key] = value;
  }
  return Object.keys(saved).length ? saved : null;
}

type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

function store(): KeyValueStore | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadSaved(storage: KeyValueStore | null = store()): SavedBuyer | null {
  try {
    return parseSaved(storage?.getItem(STORAGE_KEY) ?? null);
  } catch {
    return null;
  }
}

export function saveBuyer(state: FormState, storage: KeyValueStore | null = store()): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(toSaved(state)));
  } catch {
    // Quota or privacy mode: remembering is a convenience, never a reason to fail a submit.
  }
}

export function forgetBuyer(storage: KeyValueStore | null = store()): void {
  try {
    storage?.removeItem(STORAGE_KEY);
  } catch {
    // as above
  }
}

/**
 * Titles (抬头) this phone invoiced to before, most recent first, each with the invoice type it was
 * taken with: a company buyer who took a 专票 gets the 专票 again, not the receipt's default 普票.
 * Several, so a person who invoices for themselves and for their company picks rather than types.
 */
export const TITLES_KEY = "piaoma.scan.titles.v1";
export const MAX_TITLES = 5;

export interface SavedTitle {
  buyerType: BuyerType;
  invoiceType?: InvoiceType;
  name: string;
  taxId: string;
  address: string;
  phone: string;
  bankName: string;
  bankAccount: string;
}

const TITLE_TEXTS = ["name", "taxId", "address", "phone", "bankName", "bankAccount"] as const;
const INVOICE_TYPES: readonly InvoiceType[] = ["digital_normal", "digital_special"];

/** The title of a filled form (trimmed), or null when it has no name. */
export function titleOf(state: FormState): SavedTitle | null {
  const name = state.name.trim();
  if (!name) return null;
  const title: SavedTitle = {
    buyerType: state.buyerType,
    invoiceType: state.invoiceType,
    name,
    taxId: "",
    address: "",
    phone: "",
    bankName: "",
    bankAccount: "",
  };
  for (const key of TITLE_TEXTS.slice(1)) title[key] = state[key].trim();
  return title;
}

/** Same title: the same name and tax ID (a person may have none). */
const sameTitle = (a: SavedTitle, b: SavedTitle) => a.name === b.name && a.taxId === b.taxId;

/** The list with `title` first (replacing its older entry), at most MAX_TITLES long. */
export function withTitle(list: SavedTitle[], title: SavedTitle): SavedTitle[] {
  return [title, ...list.filter((t) => !sameTitle(t, title))].slice(0, MAX_TITLES);
}

/** Reads the stored list defensively: malformed entries are dropped, never trusted. */
export function parseTitles(text: string | null): SavedTitle[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: SavedTitle[] = [];
  for (const item of raw.slice(0, MAX_TITLES)) {
    if (!item || typeof item !== "object") continue;
    const r = item as Record<string, unknown>;
    if (!BUYER_TYPE_ORDER.includes(r.buyerType as BuyerType)) continue;
    if (typeof r.name !== "string" || !r.name.trim() || r.name.length > 300) continue;
    const title: SavedTitle = {
      buyerType: r.buyerType as BuyerType,
      name: r.name,
      taxId: "",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
    };
    if (INVOICE_TYPES.includes(r.invoiceType as InvoiceType))
      title.invoiceType = r.invoiceType as InvoiceType;
    for (const key of TITLE_TEXTS.slice(1)) {
      const v = r[key];
      if (typeof v === "string" && v.length <= 300) title[key] = v;
    }
    out.push(title);
  }
  return out;
}

/** The remembered titles; a phone that only has the older single buyer record gets that one. */
export function loadTitles(storage: KeyValueStore | null = store()): SavedTitle[] {
  try {
    const titles = parseTitles(storage?.getItem(TITLES_KEY) ?? null);
    if (titles.length) return titles;
    const old = loadSaved(storage);
    if (!old?.name) return [];
    return [
      {
        buyerType: old.buyerType ?? "enterprise",
        name: old.name,
        taxId: old.taxId ?? "",
        address: old.address ?? "",
        phone: old.phone ?? "",
        bankName: old.bankName ?? "",
        bankAccount: old.bankAccount ?? "",
      },
    ];
  } catch {
    return [];
  }
}

export function saveTitle(state: FormState, storage: KeyValueStore | null = store()): void {
  const title = titleOf(state);
  if (!title) return;
  try {
    storage?.setItem(TITLES_KEY, JSON.stringify(withTitle(loadTitles(storage), title)));
  } catch {
    // as above
  }
}

/** Forgets one title (the × on its chip), or all of them. */
export function forgetTitles(keep: (t: SavedTitle) => boolean, storage: KeyValueStore | null = store()) {
  try {
    const left = loadTitles(storage).filter(keep);
    if (left.length) storage?.setItem(TITLES_KEY, JSON.stringify(left));
    else storage?.removeItem(TITLES_KEY);
  } catch {
    // as above
  }
}
