import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ChevronLeft } from "lucide-react";

import { TemplateEditor } from "@/components/templates/template-editor";
import { requireUser } from "@/lib/auth/current-user";
import { managesTemplates } from "@/lib/templates/access";
import { STARTER_TEMPLATE_YAML } from "@/lib/templates/starter";

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
        <Link
          href="/templates"
          className="inline-flex w-fit items-center gap-1 rounded-sm text-sm text-muted-foreground outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring"
        >
          <ChevronLeft aria-hidden="true" className="size-4" />
          Templates
        </Link>
        <h1 className="text-2xl font-semibold tracking-tight">New template</h1>
        <p className="text-sm text-muted-foreground">
          Fill in the form, or switch to YAML to edit the whole spec. Saving publishes version 1 to the catalog.
        </p>
      </div>
      <TemplateEditor initialYaml={STARTER_TEMPLATE_YAML} cancelHref="/templates" />
    </div>
  );
}
