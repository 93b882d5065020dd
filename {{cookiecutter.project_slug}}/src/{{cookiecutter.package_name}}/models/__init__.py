"""LightningModules and the plain nn.Modules they wrap."""
