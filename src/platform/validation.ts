import type { z } from "zod";
import "./zod-messages";
import { AppError } from "./errors";
import { fieldPath } from "./http";

/**
 * Validates input that did not come through a route schema (command line, jobs, services called
 * from other services). Every problem is reported at once, keyed by field path.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    fields[fieldPath("", issue.path.map(String)) || "body"] ??= issue.message;
  }
  throw AppError.validation(fields);
}

/** Collects field problems from several checks, then throws them together. */
export class FieldErrors {
  private readonly fields: Record<string, string> = {};

  add(path: string, message: string): void {
    this.fields[path] ??= message;
  }

  /** Each field's problem, in the order they were found. */
  entries(): Array<[string, string]> {
    return Object.entries(this.fields);
  }

  /** How many fields have a problem. */
  get size(): number {
    return Object.keys(this.fields).length;
  }

  get isEmpty(): boolean {
    return Object.keys(this.fields).length === 0;
  }

  throwIfAny(): void {
    if (!this.isEmpty) throw AppError.validation({ ...this.fields });
  }
}
