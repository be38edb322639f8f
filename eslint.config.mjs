// One flat config for the whole workspace; each project runs `eslint .` from its own root.
import js from "@eslint/js";
import nx from "@nx/eslint-plugin";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/generated/**", "**/.data/**", "**/coverage/**"] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "@nx": nx },
    rules: {
      "@nx/enforce-module-boundaries": [
        "error",
        {
          allow: [],
          depConstraints: [
            { sourceTag: "type:lib", onlyDependOnLibsWithTags: ["type:lib"] },
            { sourceTag: "type:app", onlyDependOnLibsWithTags: ["type:lib"] },
            {
              sourceTag: "type:tool",
              onlyDependOnLibsWithTags: ["type:lib", "type:app", "type:e2e", "type:tool"],
            },
            { sourceTag: "type:e2e", onlyDependOnLibsWithTags: ["type:lib", "type:app", "type:tool"] },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
);
