package trace

import "regexp"

// buildStep is the name BuildKit's Dockerfile frontend gives an
// instruction's step: "[2/3] RUN make", "[linux/arm64 base 1/2] COPY . .".
// The frontend's own steps ("[internal] load build definition"), cache
// import and export and the exporters are not build steps.
var buildStep = regexp.MustCompile(`^\[[^\]]*\b\d+/\d+\] `)

// Steps counts a target's own build steps (those it shares with a target
// it uses are the other's) and how many of them were cache hits.
func (r *Recorder) Steps(target string) (cached, total int) {
	for _, v := range ownSteps(r.Vertices(), r.Deps()) {
		if v.Target != target || !buildStep.MatchString(v.Name) {
			continue
		}
		total++
		if v.Cached {
			cached++
		}
	}
	return cached, total
}
