import { can, type Actor } from "@/lib/authz";
import { teamNotFound } from "@/lib/teams/access";
import { monthSpending, type Spend } from "./budget";
import { aiBudgetRows, type AiBudgetRows } from "./budget-settings";
import { aiGateway } from "./config";

// What a team's Settings page shows of the AI gateway: whether it is on,
// the names the team may ask for, its budgets, and this month's use.

export interface AiTeamOverview {
  /** Null when the gateway is on; else why not. */
  off: string | null;
  /** Aliases and provider models the gateway knows, for the allow-list. */
  models: string[];
  budget: AiBudgetRows;
  team: Spend & { reserved: Spend };
  /** The viewer's own use in this team this month. */
  mine: Spend;
}

export async function aiTeamOverview(actor: Actor, teamId: string): Promise<AiTeamOverview> {
  if (!can(actor, "team:view", { teamId })) throw teamNotFound();
  const state = aiGateway();
  const [budget, spending] = await Promise.all([aiBudgetRows(teamId), monthSpending(teamId)]);
  return {
    off: state.on ? null : state.reason,
    models: state.on ? [...Object.keys(state.config.aliases), ...state.config.providers.flatMap((p) => p.models.map((m) => `${p.id}/${m.name}`))] : [],
    budget,
    team: spending.team,
    mine: spending.members.get(actor.id) ?? { tokens: 0, costMicros: 0 },
  };
}
