using System.CommandLine;
var root = new RootCommand("test");
var opt = new Option<FileInfo?>("--manifest") { Description = "x" };
var cmd = new Command("run", "Run");
cmd.Options.Add(opt);
cmd.SetAction(async (parseResult, ct) => { var m = parseResult.GetValue(opt); await Task.Delay(1, ct); return 0; });
root.Subcommands.Add(cmd);
return await root.Parse(args).InvokeAsync();
