import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { TemplateEditor } from "@/components/templates/template-editor";
import { requireUser } from "@/lib/auth/current-user";
import { managesTemplates } from "@/lib/templates/access";
import { STARTER_TEMPLATE_YAML } from "@/lib/templates/starter";
import { BackLink } from "@/components/ui/back-link";

export const metadata: Metadata = {
  title: "New template",
};

export default async function NewTemplatePage() {
  const user = await requireUser();
  // Out of reach, like the admin pages, for anyone who can't manage templates.
  if (!(await managesTemplates(user))) notFound();

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href="/templates">Templates</BackLink>
        <h1 className="text-2xl font-semibold tracking-tight">New template</h1>
        <p className="text-sm text-muted-foreground">
          Fill in the form, or switch to YAML to edit the whole spec. Saving publishes version 1 to the catalog.
        </p>
      </div>
      <TemplateEditor initialYaml={STARTER_TEMPLATE_YAML} cancelHref="/templates" />
    </div>
  );
}
