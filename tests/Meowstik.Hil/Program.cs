// Hardware-in-the-loop checks: run as /test inside the VM that tests/Meowstik.Hil/run.sh boots (see docs/hil.md).
// Each check drives a plugin's own code (registration, options, capability actions, sources) against a real kernel driver
// and prints "HIL PASS|FAIL <name>"; the last line is "HIL SUMMARY passed=N failed=M", which run.sh reads from the serial console.
using Meowstik.Hil;

Console.WriteLine($"HIL START kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}{(Hil.Break.Length > 0 ? ", HIL_BREAK=" + Hil.Break : "")}");
string only = Environment.GetEnvironmentVariable("HIL_ONLY") ?? "can,gpio,camera,iot";
var suites = new (string Name, Func<Task> Run)[]
{
    ("can", CanChecks.RunAll),
    ("gpio", async () =>
    {
        await GpioChecks.RunAll();
        await GpioChecks.DefaultDriver();
    }),
    ("camera", CameraChecks.RunAll),
    ("iot", IotChecks.RunAll),
};
foreach ((string name, Func<Task> run) in suites)
{
    if (!only.Split(',').Contains(name))
    {
        continue;
    }

    // A suite that cannot even set up (a missing device) fails as one check instead of ending the run.
    await Hil.Suite(name, run);
}

Console.WriteLine($"HIL SUMMARY passed={Hil.Passed} failed={Hil.Failed}");
return Hil.Failed == 0 ? 0 : 1;
