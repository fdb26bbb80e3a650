package schedule

import "testing"

func TestParseJobs(t *testing.T) {
	cases := []struct {
		in   string
		want Execution
		err  bool
	}{
		{"", Execution{Mode: FailFast}, false},
		{"fail-fast", Execution{Mode: FailFast}, false},
		{"4", Execution{Mode: FailFast, Parallel: 4, ParallelSet: true}, false},
		{"0", Execution{Mode: FailFast, ParallelSet: true}, false}, // an explicit 0: no bound, as buildx
		{"defer-error", Execution{Mode: DeferError}, false},
		{"defer-output,parallel=2", Execution{Mode: DeferOutput, Parallel: 2, ParallelSet: true}, false},
		{"parallel=3,mode=defer-error", Execution{Mode: DeferError, Parallel: 3, ParallelSet: true}, false},
		{" MODE = defer-error ", Execution{Mode: DeferError}, false},
		{"-1", Execution{}, true},
		{"parallel=x", Execution{}, true},
		{"fast", Execution{}, true},
		{"defer-error,defer-output", Execution{}, true},
		{"color=red", Execution{}, true},
	}
	for _, c := range cases {
		got, err := ParseJobs(c.in)
		if (err != nil) != c.err {
			t.Errorf("ParseJobs(%q) err = %v", c.in, err)
			continue
		}
		if !c.err && got != c.want {
			t.Errorf("ParseJobs(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
