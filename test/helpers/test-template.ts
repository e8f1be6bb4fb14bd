import { DEFAULT_BACKUP_EXCLUDES, type TemplateSpec } from "@/lib/templates/spec";
import { contractSpec } from "../runtime/contract";

/** A valid template whose IDE is the contract tests' test IDE, for workspaces the reconciler turns into runtime specs. */
export const TEST_TEMPLATE: TemplateSpec = {
  slug: "test",
  name: "Test",
  description: "",
  icon: "box",
  tags: [],
  image: "podspace/test:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  parameters: [],
  ports: [],
  env: {},
  startupScript: "",
  ide: contractSpec("unused").ide,
  backup: { exclude: DEFAULT_BACKUP_EXCLUDES },
  idleTimeoutMinutes: 60,
  maxLifetimeHours: 24,
};
