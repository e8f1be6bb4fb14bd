import type { Metadata } from "next";

import { createTokenAction } from "./actions";
import { CreateTokenForm } from "@/components/tokens/create-token-form";
import { TokenList } from "@/components/tokens/token-list";
import { Card, CardContent } from "@/components/ui/card";
import { listApiTokens } from "@/lib/api-tokens/tokens";
import { requireUser } from "@/lib/auth/current-user";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "API tokens" };

export default async function TokensPage() {
  const user = await requireUser();
  const tokens = await listApiTokens(user);
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">API tokens</h1>
        <p className="text-sm text-muted-foreground">
          Tokens let scripts, CI and the <code>podspace</code> CLI use the API (<a className="underline underline-offset-4" href="/api/v1/openapi.json">/api/v1</a>) as you, within
          the scopes and the team you give them. What they change is audited as yours, via the token.
        </p>
      </div>
      <Card>
        <CardContent>
          <CreateTokenForm
            action={createTokenAction}
            label="New token"
            maxDays={env.PODSPACE_API_TOKEN_MAX_DAYS}
            teams={user.teams}
            offersAdmin={user.isPlatformAdmin || Boolean(user.isTemplateAdmin)}
          />
        </CardContent>
      </Card>
      <section aria-labelledby="tokens-heading" className="flex flex-col gap-3">
        <h2 id="tokens-heading" className="text-base font-semibold">
          Tokens in force
        </h2>
        <TokenList tokens={tokens} />
      </section>
    </div>
  );
}
