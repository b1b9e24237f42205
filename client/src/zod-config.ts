import { z } from 'zod';

// zod compiles object schemas with `new Function` when it may, and probes for that by trying
// it: under the page's Content-Security-Policy (no 'unsafe-eval') the probe alone is a reported
// violation. The interpreted parser is plenty fast for API answers. Imported before anything
// that builds a schema.
z.config({ jitless: true });
