#!/usr/bin/env node
// The container's HEALTHCHECK: exit 0 when this process's /health answers 200 within 3 s. The
// process listens on PORT (3000 by default) on every interface in the image.
const port = process.env.PORT || "3000";
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
