import { describe, expect, it } from "vitest";
import { POST } from "@/app/api/v1/tokens/route";
import { authenticateApiToken, createApiToken, listApiTokens } from "@/lib/api-tokens/tokens";
import { useAppDatabase } from "../helpers/app-database";
import { createFleetOwner, seedWorkspaces } from "../helpers/fleet";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";

// A token with tokens:write makes tokens through the API (POST /api/v1/tokens,
// the route itself, on the suite's database), never one that reaches further
// than itself: a leaked narrow token must not mint a wide one.

useAppDatabase();

describe("tokens made by a token", () => {
  const post = (secret: string, body: object) =>
    POST(
      new Request("http://localhost/api/v1/tokens", {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
      { params: Promise.resolve({}) },
    );

  async function userInTwoTeams(email: string) {
    const user = await createUser(email);
    const one = await createTeamWith(`${email.split("@")[0]}-one`, [[user, "MEMBER"]]);
    const two = await createTeamWith(`${email.split("@")[0]}-two`, [[user, "MEMBER"]]);
    return { user, one, two, actor: await actorFor(user) };
  }

  it("refuses scopes the issuing token lacks, and mints nothing", async () => {
    const { actor } = await userInTwoTeams("scopes@tokens.test");
    const rotation = await createApiToken(actor, { name: "ci-rotate", days: 1, scopes: ["tokens:write", "read"] });
    const response = await post(rotation.token, { name: "wide", days: 1, scopes: ["read", "exec", "workspaces:write"] });
    expect(response.status).toBe(403);
    expect((await response.json()).error.message).toBe("This token can't give a token scopes it doesn't have: exec, workspaces:write.");
    expect((await listApiTokens(actor)).map((token) => token.name)).toEqual(["ci-rotate"]);
    expect((await post(rotation.token, { name: "narrow", days: 1, scopes: ["read"] })).status).toBe(201);
  });

  it("binds a token made by a team-bound token to that team, and refuses another", async () => {
    const { actor, one, two } = await userInTwoTeams("team@tokens.test");
    const bound = await createApiToken(actor, { name: "team-one", days: 1, scopes: ["tokens:write", "read"], teamId: one.id });

    const response = await post(bound.token, { name: "left-unbound", days: 1, scopes: ["read"] });
    expect(response.status).toBe(201);
    const made = await authenticateApiToken((await response.json()).token);
    expect(made!.teamId).toBe(one.id);
    expect(made!.actor.teams.map((team) => team.id)).toEqual([one.id]);

    // The issuing token doesn't see team two at all: not found, as for a team that doesn't exist.
    expect((await post(bound.token, { name: "other-team", days: 1, scopes: ["read"], team: two.slug })).status).toBe(404);
  });

  it("keeps a token made by a workspace-bound token within those workspaces", async () => {
    const fleet = await createFleetOwner("bound-workspaces");
    await seedWorkspaces(fleet, "boundws", 3, "STOPPED", "STOPPED");
    const actor = await actorFor({ id: fleet.ownerId });
    const bound = await createApiToken(actor, { name: "two-workspaces", days: 1, scopes: ["tokens:write", "read"], workspaceIds: ["boundws1", "boundws2"] });

    const outside = await post(bound.token, { name: "outside", days: 1, scopes: ["read"], workspaceIds: ["boundws2", "boundws3"] });
    expect(outside.status).toBe(403);
    expect((await outside.json()).error.message).toBe("This token is bound to a list of workspaces, so a token it makes is bound to some of them; not to boundws3.");

    const unbound = await post(bound.token, { name: "left-unbound", days: 1, scopes: ["read"] });
    expect((await authenticateApiToken((await unbound.json()).token))!.workspaceIds).toEqual(["boundws1", "boundws2"]);
    const fewer = await post(bound.token, { name: "fewer", days: 1, scopes: ["read"], workspaceIds: ["boundws1"] });
    expect((await authenticateApiToken((await fewer.json()).token))!.workspaceIds).toEqual(["boundws1"]);
  });
});
