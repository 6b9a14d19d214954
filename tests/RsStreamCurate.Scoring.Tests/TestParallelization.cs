// TorchSharp's random generator is process-wide, and training tests seed it for reproducibility, so two of them
// running at once would interleave their draws and break the same-seed checks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
