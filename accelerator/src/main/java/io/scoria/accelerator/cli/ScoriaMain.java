package io.scoria.accelerator.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * The {@code scoria} program: {@code serve} runs the router and {@code foc-server} a fail-over
 * cache server; {@code volume}, {@code snapshot}, {@code template}, {@code clone}, {@code scrub
 * apply}, {@code token}, {@code job}, {@code pool} and {@code distributor} call the router's REST API with a bearer token ({@link ApiOptions}); {@code backend check} probes the configured backend and {@code backend rotate-keys} re-wraps the key ring's data keys (on the backend with {@code --config}, else through the API). On error: one line on stderr and a
 * non-zero exit (1: the request failed, 2: bad command line).
 */
@Command(name = "scoria", mixinStandardHelpOptions = true, version = "scoria 0.1.0",
        description = "Scoria: a layered storage router for virtual machine disks.",
        subcommands = {ServeCommand.class, VolumeCommands.class, SnapshotCommands.class,
                CloneCommands.TemplateCommands.class, CloneCommands.class, BackendCommands.class,
                FocServerCommand.class, ScrubCommands.class, TokenCommands.class, JobCommands.class,
                DistributorCommands.class, ClusterCommands.class, HostCommands.class, PoolCommands.class,
                CommandLine.HelpCommand.class})
public final class ScoriaMain implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new ScoriaMain());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("scoria: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String message = ex.getMessage() != null ? ex.getMessage() : ex.toString();
            err.println("scoria: error: " + message.replace('\n', ' '));
            err.flush();
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        boolean daemon = args.length > 0 && (args[0].equals("serve") || args[0].equals("foc-server"));
        if (code != 0 || !daemon) {
            System.exit(code);
        }
    }
}
