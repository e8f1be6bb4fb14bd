import type { TeamRole } from "@/lib/generated/prisma/enums";
import { ROLE_LABELS } from "@/lib/schemas/teams";

function RoleOptions({ roles }: { roles: readonly TeamRole[] }) {
  return roles.map((role) => (
    <option key={role} value={role}>
      {ROLE_LABELS[role]}
    </option>
  ));
}

export { RoleOptions };
