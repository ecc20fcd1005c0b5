#!/usr/bin/env node
// Entry point of the `piaoma` command. Node 20 cannot run TypeScript itself, so tsx's loader is
// registered first; the program lives in src/main.ts.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
