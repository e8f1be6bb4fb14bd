import { notFound } from "next/navigation";

import { NavLink } from "@/components/shell/nav-link";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";

// The platform admin's pages under one heading: the main navigation's Admin
// leads to Users, and these links to the rest, which nothing else links to.
const sections = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/usage", label: "Usage" },
  { href: "/admin/health", label: "Health" },
] as const;

export default async function AdminLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  const user = await requireUser();
  if (!can(user, "user:administer")) notFound();

  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Admin" className="-mx-1 overflow-x-auto border-b pb-2">
        <ul className="flex items-center gap-1">
          {sections.map((section) => (
            <li key={section.href}>
              <NavLink href={section.href}>{section.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      {children}
    </div>
  );
}
