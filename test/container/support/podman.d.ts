export declare const repoRoot: string;
export declare const IMAGE: string;
export declare const TEST_LABEL = "dev.localmail.container-test=1";
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}
export interface RunOptions {
    input?: string | Buffer;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
}
/** Run a command to completion; code -1 when it could not start or timed out. */
export declare function run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
export declare const podmanEnv: () => NodeJS.ProcessEnv;
export declare function podman(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
/** podman, failing with its stderr when it does. */
export declare function podmanOk(args: readonly string[], opts?: RunOptions): Promise<string>;
/** A loopback TCP port nothing listens on now (and not handed out before in this process). */
export declare function freePort(): Promise<number>;
/** First line a server sends on connect, or an error text. */
export declare function readBanner(port: number, timeoutMs?: number): Promise<string>;
/** Wait until the server on a loopback port greets with `prefix`; returns the banner. */
export declare function waitForBanner(port: number, prefix: string, timeoutMs?: number): Promise<string>;
/** The hardening a Kubernetes pod gets (restricted PSS + readOnlyRootFilesystem),
 * with tmpfs owned by uid 900 for the writable paths of the contract. */
export declare const HARDENED_UID900: readonly string[];
export interface AgentOptions {
    /** Container ports to publish, each on a free loopback port. */
    ports: readonly number[];
    hostname?: string;
    env?: Readonly<Record<string, string>>;
    /** Host directory mounted read-only at /etc/mailagent. */
    configDir?: string;
    /** Mount for /var/mail: a podman volume name; absent = tmpfs when hardened, image dir otherwise. */
    mailVolume?: string;
    /** Run as uid 900 with HARDENED_UID900. */
    hardened?: boolean;
    extraArgs?: readonly string[];
    /** Arguments after the image (the command, e.g. with --entrypoint in extraArgs). */
    command?: readonly string[];
}
export declare class Agent {
    readonly name: string;
    private readonly published;
    private constructor();
    static start(opts: AgentOptions): Promise<Agent>;
    private static startOnce;
    /** Host port published for a container port. */
    port(containerPort: number): number;
    /** Wait for the SMTP and POP3 greetings on the given container ports. */
    waitReady(smtpPort: number, pop3Port: number, timeoutMs?: number): Promise<void>;
    exec(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
    /** stdout and stderr of the container, interleaved as podman keeps them. */
    logs(): Promise<string>;
    /** Exit code once the container has stopped (waits up to timeoutMs). */
    waitExit(timeoutMs?: number): Promise<number>;
    remove(): Promise<void>;
}
/** Run the image once in the foreground (for configurations that must fail). */
export declare function runOnce(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
/** A temporary directory (mode 0755, so uid 900 in a container can read it). */
export declare function tempDir(prefix: string): string;
/**
 * Write a /etc/mailagent tree: keys are relative paths, values the contents.
 * Files are world-readable like a Secret/ConfigMap mount with defaultMode 0644.
 */
export declare function writeConfigDir(prefix: string, files: Readonly<Record<string, string | Buffer>>): string;
