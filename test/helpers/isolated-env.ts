import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Runs before each unit test file is imported: the app's own database
// (getDb()) becomes a fresh embedded one for that file alone, and nothing
// from the developer's shell leaks in.
process.env.PODSPACE_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-unit-"));
delete process.env.DATABASE_URL;
delete process.env.PODSPACE_OIDC_PROVIDERS;
