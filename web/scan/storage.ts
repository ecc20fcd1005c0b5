/**
 * The buyer's details remembered on this phone, so the next receipt's form is already filled.
 * Only on the device (localStorage), never sent anywhere but with a submit. Storage can be missing
 * or throw (private browsing, some in-app browsers, a full quota): then the page simply forgets.
 */
import type { BuyerType } from "./api";
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
