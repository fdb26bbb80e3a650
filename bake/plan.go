package bake

// Plan is what kiln builds: the requested targets (and the targets they
// reference through `target:` contexts) after inheritance, overrides and
// defaults. Its JSON is exactly what `docker buildx bake --print` prints.
type Plan struct {
	Groups  map[string]*Group  `json:"group,omitempty"`
	Targets map[string]*Target `json:"target"`
}
