import * as k8s from '@kubernetes/client-node';
export { k8s };
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}
export interface RunOptions {
    /** Written to the command's stdin. */
    input?: string;
    /** Kill the command after this long (default 60 s); code is then -1. */
    timeoutMs?: number;
    /** Extra environment variables. */
    env?: NodeJS.ProcessEnv;
    /** Working directory (default: the repository root). */
    cwd?: string;
}
/** Absolute path of the repository root. */
export declare function repoRoot(): string;
/** Path of a file in the repository. */
export declare function repoPath(...parts: string[]): string;
export declare function kubeconfigPath(): string;
export declare function kubectlPath(): string;
export declare function helmPath(): string;
/** The KubeConfig of the test cluster (from KUBECONFIG). */
export declare function kubeConfig(): k8s.KubeConfig;
/** Runs a command; never throws for a non-zero exit. */
export declare function run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
/** Runs our kubectl against the test cluster. */
export declare function kubectl(args: string[], opts?: RunOptions): Promise<RunResult>;
/** Runs our helm against the test cluster. */
export declare function helm(args: string[], opts?: RunOptions): Promise<RunResult>;
/** Like kubectl(), but throws with stderr unless the exit code is 0; returns stdout. */
export declare function kubectlOk(args: string[], opts?: RunOptions): Promise<string>;
/**
 * Polls fn until it returns a truthy value (returned) or timeoutMs passes
 * (throws, with the last error fn threw, if any).
 */
export declare function waitFor<T>(fn: () => T | Promise<T>, timeoutMs?: number, what?: string, intervalMs?: number): Promise<NonNullable<T>>;
/** A unique DNS-1123 label: <prefix>-<time>-<random>. */
export declare function uniqueName(prefix?: string): string;
/** Creates a namespace now; it is deleted in the afterAll of the test file. */
export declare function createTestNamespace(prefix?: string): Promise<string>;
/**
 * Describe-level helper: a namespace created in beforeAll and deleted in
 * afterAll. Read `.name` inside hooks and tests (it is known at once).
 */
export declare function withNamespace(prefix?: string): {
    readonly name: string;
};
export declare const MAILAGENT_CRD_NAME = "mailagents.localmail.dev";
/**
 * Installs crds/mailagent.yaml (server-side apply) and waits until the CRD is
 * Established. Idempotent; returns kubectl's output.
 */
export declare function installMailAgentCrd(file?: string): Promise<string>;
