using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// `spdylab shell [options] -- COMMAND [ARGS...]`: runs COMMAND in a fresh client namespace whose only
/// route goes through the emulated link to the host (Mahimahi's shells, in one command).
/// </summary>
public static class ShellCommand
{
    public static Command Create()
    {
        var down = new Option<string?>("--down") { Description = "downlink rate (host to client): 2mbit, 375kbit, 1.5mbit, 1gbit; default: no rate limit" };
        var up = new Option<string?>("--up") { Description = "uplink rate (client to host); default: no rate limit" };
        var rtt = new Option<string?>("--rtt") { Description = "round-trip propagation delay, split evenly between the directions: 100ms, 0.5ms, 1s; default 0" };
        var loss = new Option<string?>("--loss") { Description = "packet loss in each direction, independently: 1%, 0.5%" };
        var lossDown = new Option<string?>("--loss-down") { Description = "packet loss of the downlink only" };
        var lossUp = new Option<string?>("--loss-up") { Description = "packet loss of the uplink only" };
        var lossModel = new Option<string?>("--loss-model") { Description = "bernoulli (default), ge:burst=N (bursty, mean from --loss), or ge:p=P%,r=R%[,bad=B%][,good=G%]" };
        var queue = new Option<string?>("--queue") { Description = "drop-tail queue of each direction: 100pkt, 64kb, 100pkt,64kb, unlimited; default: 250 ms of the rate, at least 15 kB" };
        var downTrace = new Option<string?>("--down-trace") { Description = "Mahimahi trace file for the downlink (instead of --down)" };
        var upTrace = new Option<string?>("--up-trace") { Description = "Mahimahi trace file for the uplink (instead of --up)" };
        var seed = new Option<string?>("--seed") { Description = "seed of the loss generators (same seed, same loss pattern); default 1" };
        var pcap = new Option<string?>("--pcap") { Description = "directory to write client.pcap and host.pcap into (LINKTYPE_RAW)" };
        var stats = new Option<bool>("--stats") { Description = "print the link counters on stderr at exit" };
        var commandLine = new Argument<string[]>("command")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "the command to run and its arguments (put them after --); inside, $SPDYLAB_HOST is the host's address",
        };

        var command = new Command("shell",
            "Run COMMAND in a fresh network namespace whose only route goes through the emulated link to the host. " +
            "Inside, $SPDYLAB_HOST holds the host's address: a server on the host bound to 0.0.0.0 is reachable through the link. " +
            "Exits with COMMAND's exit code. Needs root.");
        foreach (var option in new Option[] { down, up, rtt, loss, lossDown, lossUp, lossModel, queue, downTrace, upTrace, seed, pcap, stats })
            command.Options.Add(option);
        command.Arguments.Add(commandLine);

        CommandActions.SetAction(command, async (parseResult, _) =>
        {
            LinkSpec spec;
            try
            {
                spec = new LinkOptions
                {
                    Down = parseResult.GetValue(down),
                    Up = parseResult.GetValue(up),
                    Rtt = parseResult.GetValue(rtt),
                    Loss = parseResult.GetValue(loss),
                    LossDown = parseResult.GetValue(lossDown),
                    LossUp = parseResult.GetValue(lossUp),
                    LossModel = parseResult.GetValue(lossModel),
                    Queue = parseResult.GetValue(queue),
                    DownTrace = parseResult.GetValue(downTrace),
                    UpTrace = parseResult.GetValue(upTrace),
                    Seed = parseResult.GetValue(seed),
                }.ToSpec();
            }
            catch (LinkOptionException e)
            {
                throw new UsageException(e.Message);
            }
            var argv = parseResult.GetValue(commandLine) ?? [];
            if (argv.Length == 0) throw new UsageException("COMMAND: give the command to run after --, e.g. spdylab shell --rtt 100ms -- ping -c 3 $SPDYLAB_HOST");
            return await RunAsync(spec, argv, parseResult.GetValue(pcap), parseResult.GetValue(stats));
        });
        return command;
    }

    private static async Task<int> RunAsync(LinkSpec spec, string[] argv, string? pcapDirectory, bool printStats)
    {
        if (Privileges.WhyWorldsCannotBeBuilt() is { } problem)
        {
            await Console.Error.WriteLineAsync($"spdylab shell: {problem}");
            return CommandActions.RuntimeError;
        }
        World world;
        try
        {
            world = World.Create(new WorldOptions { Link = spec, HostSide = HostSide.RootNamespace, PcapDirectory = pcapDirectory });
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"spdylab shell: could not build the network: {e.Message}");
            return CommandActions.RuntimeError;
        }

        using (world)
        {
            // Tear down even if the runtime is shutting down under us (the launcher got SIGTERM twice...).
            AppDomain.CurrentDomain.ProcessExit += (_, _) => world.Dispose();
            Process child;
            try
            {
                child = Process.Start(world.ClientProcess(argv[0], argv[1..])) ?? throw new InvalidOperationException("no process");
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"spdylab shell: cannot start '{argv[0]}': {e.Message}");
                return CommandActions.RuntimeError;
            }
            using (child)
            {
                // Forward the signals that ask us to stop to the command, and let it decide when to end.
                var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
                    .Select(signal => PosixSignalRegistration.Create(signal, context =>
                    {
                        context.Cancel = true;
                        int number = context.Signal switch
                        {
                            PosixSignal.SIGINT => Signals.SIGINT,
                            PosixSignal.SIGHUP => Signals.SIGHUP,
                            _ => Signals.SIGTERM,
                        };
                        try { Signals.Send(child.Id, number); } catch (InvalidOperationException) { }
                    }))
                    .ToList();
                try
                {
                    await child.WaitForExitAsync(CancellationToken.None);
                }
                finally
                {
                    registrations.ForEach(r => r.Dispose());
                }
                // Let the command's last packets (FIN, a final report) cross before tearing down.
                world.WaitForQuiet(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));
                if (world.FerryFailure is { } failure)
                    await Console.Error.WriteLineAsync($"spdylab shell: the link stopped: {failure.Message}");
                if (printStats) await Console.Error.WriteLineAsync(world.FormatStatistics());
                return child.ExitCode;
            }
        }
    }
}
