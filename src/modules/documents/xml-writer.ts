import { multiLine, singleLine } from "./text-sanitize";

/**
 * A minimal XML serializer for the invoice file: elements and text only (no attributes, no mixed
 * content), indented by two spaces. Text is reduced to one line (or, for a multi-line element such as
 * the 备注, to its lines) with the characters XML 1.0 forbids removed (see text-sanitize.ts), then
 * escaped, so any input yields a well-formed document.
 */

export type XmlNode =
  | { name: string; text: string | undefined; multiline?: boolean }
  | { name: string; children: XmlNode[] };

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

export function escapeXmlText(value: string, multiline = false): string {
  return (multiline ? multiLine(value) : singleLine(value)).replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

export function element(name: string, text: string | undefined): XmlNode {
  return { name, text };
}

/** An element whose text keeps its line breaks (LF). */
export function multilineElement(name: string, text: string | undefined): XmlNode {
  return { name, text, multiline: true };
}

/** The element, or nothing when its text is empty once sanitised: empty optional elements are left out. */
export function optionalElement(name: string, text: string | undefined): XmlNode[] {
  return singleLine(text) ? [element(name, text)] : [];
}

export function group(name: string, children: XmlNode[]): XmlNode {
  return { name, children };
}

function write(node: XmlNode, depth: number, out: string[]): void {
  const indent = "  ".repeat(depth);
  if ("children" in node) {
    if (node.children.length === 0) {
      out.push(`${indent}<${node.name}/>`);
      return;
    }
    out.push(`${indent}<${node.name}>`);
    for (const child of node.children) write(child, depth + 1, out);
    out.push(`${indent}</${node.name}>`);
    return;
  }
  const text = node.text === undefined ? "" : escapeXmlText(node.text, node.multiline);
  out.push(text ? `${indent}<${node.name}>${text}</${node.name}>` : `${indent}<${node.name}/>`);
}

export function serializeXml(root: XmlNode): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out);
  return `${out.join("\n")}\n`;
}
