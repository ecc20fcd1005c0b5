import { singleLine } from "./text-sanitize";

/**
 * A minimal XML serializer for the invoice file: elements and text only (no attributes, no mixed
 * content), indented by two spaces. Text is reduced to one line with the characters XML 1.0 forbids
 * removed (see text-sanitize.ts), then escaped, so any input yields a well-formed document.
 */

export type XmlNode = { name: string; text: string | undefined } | { name: string; children: XmlNode[] };

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

export function escapeXmlText(value: string): string {
  return singleLine(value).replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

export function element(name: string, text: string | undefined): XmlNode {
  return { name, text };
}

export function group(name: string, children: XmlNode[]): XmlNode {
  return { name, children };
}

function write(node: XmlNode, depth: number, out: string[]): void {
  const indent = "  ".repeat(depth);
  if ("children" in node) {
    out.push(`${indent}<${node.name}>`);
    for (const child of node.children) write(child, depth + 1, out);
    out.push(`${indent}</${node.name}>`);
    return;
  }
  const text = node.text === undefined ? "" : escapeXmlText(node.text);
  out.push(text ? `${indent}<${node.name}>${text}</${node.name}>` : `${indent}<${node.name}/>`);
}

export function serializeXml(root: XmlNode): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out);
  return `${out.join("\n")}\n`;
}
