package pool

import (
	"errors"
	"sync"
	"testing"
)

var (
	amd = Capacity{Name: "amd", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}, MaxSolves: 2}
	arm = Capacity{Name: "arm", Native: []string{"linux/arm64"}, MaxSolves: 2}
	big = Capacity{Name: "big", Native: []string{"linux/amd64"}, MaxSolves: 4}
)

func TestPlace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []Capacity
		last  map[string]string
		taken []string // slots already taken, by node
		unit  Unit
		want  string
	}{
		{"native beats emulated", []Capacity{amd, arm}, nil, nil, Unit{"a", []string{"linux/arm64"}}, "arm"},
		{"emulated when no native node is free", []Capacity{amd, arm}, nil, []string{"arm", "arm"}, Unit{"a", []string{"linux/arm64"}}, "amd"},
		{"both platforms: only amd runs both", []Capacity{amd, arm}, nil, nil, Unit{"a", []string{"linux/amd64", "linux/arm64"}}, "amd"},
		{"sticky: the node that built it last", []Capacity{amd, big}, map[string]string{"a": "big"}, nil, Unit{"a", []string{"linux/amd64"}}, "big"},
		{"native beats sticky", []Capacity{amd, arm}, map[string]string{"a": "amd"}, nil, Unit{"a", []string{"linux/arm64"}}, "arm"},
		{"least loaded", []Capacity{amd, big}, nil, []string{"amd"}, Unit{"a", []string{"linux/amd64"}}, "big"},
		{"ties: first declared", []Capacity{amd, big}, nil, nil, Unit{"a", []string{"linux/amd64"}}, "amd"},
		{"sticky node busy: another", []Capacity{amd, big}, map[string]string{"a": "amd"}, []string{"amd", "amd"}, Unit{"a", []string{"linux/amd64"}}, "big"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPlacer(tc.nodes, tc.last)
			for _, n := range tc.taken {
				p.running[index(tc.nodes, n)]++
			}
			got, err := p.Place(tc.unit)
			if err != nil || got != tc.want {
				t.Fatalf("Place = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func index(nodes []Capacity, name string) int {
	for i, n := range nodes {
		if n.Name == name {
			return i
		}
	}
	panic(name)
}

func TestPlaceBusyAndRelease(t *testing.T) {
	p := NewPlacer([]Capacity{arm}, nil)
	u := Unit{"a", []string{"linux/arm64"}}
	for range 2 {
		if n, err := p.Place(u); err != nil || n != "arm" {
			t.Fatalf("Place = %q, %v", n, err)
		}
	}
	if _, err := p.Place(u); !errors.Is(err, ErrNoCapacity) {
		t.Fatalf("third Place on a node of 2 slots: %v, want ErrNoCapacity", err)
	}
	p.Release("arm")
	if n, err := p.Place(u); err != nil || n != "arm" {
		t.Fatalf("after Release: %q, %v", n, err)
	}
}

func TestPlaceInfeasible(t *testing.T) {
	p := NewPlacer([]Capacity{amd, arm}, nil)
	_, err := p.Place(Unit{"web", []string{"linux/s390x"}})
	want := "target web: no node of the pool builds linux/s390x (amd runs linux/amd64, linux/arm64; arm runs linux/arm64)"
	if err == nil || err.Error() != want || errors.Is(err, ErrNoCapacity) {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

// Concurrent Place and Release never hand out more slots than a node has.
func TestPlaceConcurrent(t *testing.T) {
	p := NewPlacer([]Capacity{amd, big}, nil)
	var mu sync.Mutex
	inUse := map[string]int{}
	peak := map[string]int{}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 50 {
				n, err := p.Place(Unit{"a", []string{"linux/amd64"}})
				if err != nil {
					continue
				}
				mu.Lock()
				inUse[n]++
				peak[n] = max(peak[n], inUse[n])
				mu.Unlock()
				mu.Lock()
				inUse[n]--
				mu.Unlock()
				p.Release(n)
			}
		})
	}
	wg.Wait()
	if peak["amd"] > amd.MaxSolves || peak["big"] > big.MaxSolves {
		t.Fatalf("peak slots %v exceed max-solves (amd %d, big %d)", peak, amd.MaxSolves, big.MaxSolves)
	}
	if peak["amd"] == 0 && peak["big"] == 0 {
		t.Fatal("nothing was placed")
	}
}
