import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { build, type BuildOptions, type Plugin } from "esbuild";

/**
 * A function's code, from its handler factory in `runtime/`.
 *
 * Pulumi serializes the factory exactly as `aws.lambda.CallbackFunction` does (`serializeFunction`,
 * factory mode, export `handler`): the runtime's functions it reaches become text, the packages
 * they use become `require` calls. esbuild then bundles that text with those packages (yup and the
 * handler's own AWS SDK clients, whose versions are the installed ones, pinned by the lock file)
 * into one minified file, tree-shaken to what the handler reaches. The archive is that one file:
 * it needs nothing from Lambda's runtime but Node itself, so it runs the same in Lambda, in the
 * local cloud and in the archive specs. Same sources, same packages: byte-identical code, so an
 * unchanged function is not updated.
 */

/** The one file of every archive. */
export const FUNCTION_FILE = "index.js";
/** Lambda's `handler` setting: the file without `.js`, and the export Lambda calls. */
export const FUNCTION_HANDLER = "index.handler";

/**
 * Packages whose CommonJS `main` is a UMD build that requires its own files through a variable the
 * bundler cannot follow (the archive would fail with "Cannot find module './impl/format'"): any
 * request for them, by name or by the `main` file the serializer names, takes their ES module build.
 */
const UMD_MAIN_PACKAGES = ["jsonc-parser"];

function esModuleBuilds(): Plugin {
  return {
    name: "es-module-builds",
    setup(bundler) {
      const filter = new RegExp(
        `^(${UMD_MAIN_PACKAGES.map((name) => name.replace(/[.-]/g, "\\$&")).join("|")})(/.*)?$`,
      );
      bundler.onResolve({ filter }, async (args) => {
        const name = UMD_MAIN_PACKAGES.find(
          (candidate) => args.path === candidate || args.path.startsWith(`${candidate}/`),
        )!;
        const manifest = require.resolve(`${name}/package.json`, { paths: [args.resolveDir] });
        const { main, module } = JSON.parse(readFileSync(manifest, "utf8")) as {
          main?: string;
          module?: string;
        };
        const subpath = args.path.slice(name.length + 1);
        if (!module || (subpath && path.posix.normalize(subpath) !== path.posix.normalize(main ?? "")))
          return undefined;
        return { path: path.join(path.dirname(manifest), module) };
      });
    },
  };
}

/** How every function is bundled (and its floor measured, by `npm run bench`). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: "node",
  format: "cjs",
  plugins: [esModuleBuilds()],
  // The oldest Node the package supports; Lambda's nodejs22.x runs it as is.
  target: "node20",
} as const satisfies BuildOptions;

export type HandlerFactory = () => (event: never) => Promise<unknown>;

export interface FunctionBundle {
  /** The bundled, minified code of `index.js`. */
  code: string;
  /** The npm packages whose code the bundle holds, sorted. */
  packages: string[];
}

/** The package a bundled file comes from (`@scope/name` or `name`), or undefined for the serialized text. */
function packageOf(file: string): string | undefined {
  const marker = "node_modules/";
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const [first, second] = file.slice(at + marker.length).split("/");
  return first.startsWith("@") ? `${first}/${second}` : first;
}

export async function bundleFunction(factory: HandlerFactory): Promise<FunctionBundle> {
  const serialized = await pulumi.runtime.serializeFunction(factory, {
    exportName: "handler",
    isFactoryFunction: true,
    // Secrets reach functions through Secrets Manager, never through their code.
    allowSecrets: false,
  });
  const result = await build({
    // Packages are resolved from this package's own folder, wherever the program installed it.
    stdin: { contents: serialized.text, resolveDir: __dirname, sourcefile: FUNCTION_FILE, loader: "js" },
    ...BUNDLE_OPTIONS,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const packages = new Set(
    Object.keys(result.metafile.inputs)
      .map((file) => packageOf(file.split(path.sep).join("/")))
      .filter((name): name is string => name !== undefined),
  );
  return { code: result.outputFiles[0].text, packages: [...packages].sort() };
}

/** The `code` of a function: an archive holding `index.js`, its bundled handler. */
export function functionCode(factory: HandlerFactory): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive(
    bundleFunction(factory).then(({ code }) => ({ [FUNCTION_FILE]: new pulumi.asset.StringAsset(code) })),
  );
}
