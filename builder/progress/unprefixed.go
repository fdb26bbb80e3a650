package progress

import "github.com/moby/buildkit/client"

// Unprefixed returns a status channel for target's display like Channel,
// without the target prefix on vertex names: buildx writes what it adds
// around a target's solve (the "loading policies" step, the policy
// resolver's solve) to the display as is, even when a bake builds several
// targets. What it carries is not a build step, so it has no place in the
// failed-step summary or the timeline (a policy step spans the whole solve
// and would be its critical path). The caller closes it.
func (p *Progress) Unprefixed(target string) chan *client.SolveStatus {
	in := make(chan *client.SolveStatus)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for st := range in {
			p.ch <- st
		}
	}()
	return in
}
