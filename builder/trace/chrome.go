package trace

import (
	"encoding/json"
	"io"
	"sort"
	"time"
)

// Event is one entry of the Chrome trace-event format ("X" complete
// events and "M" metadata), as Perfetto and chrome://tracing read it.
type Event struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   int64          `json:"ts"` // microseconds from the run's start
	Dur  int64          `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	Args map[string]any `json:"args,omitempty"`
}

// File is the JSON object form of a trace file.
type File struct {
	TraceEvents     []Event `json:"traceEvents"`
	DisplayTimeUnit string  `json:"displayTimeUnit"`
}

// Track names the track a step is drawn on: "api/linux/arm64", or "api"
// for the steps common to the target's platforms.
func Track(target, platform string) string {
	if platform == "" {
		return target
	}
	return target + "/" + platform
}

// WriteChrome writes the run as a Chrome trace-event file: one track per
// target and platform, one span per vertex, kiln's phases on a "kiln"
// track per target. Steps that overlap on a track go to numbered lanes
// ("api/linux/arm64 #2"), since a trace-event track only nests spans.
func (r *Recorder) WriteChrome(w io.Writer) error {
	vs := r.Vertices()
	phases := r.Phases()
	origin := r.start
	end := origin
	for _, v := range vs {
		if !v.Start.IsZero() && v.Start.Before(origin) {
			origin = v.Start
		}
		if v.End.After(end) {
			end = v.End
		}
	}
	for _, ph := range phases {
		if ph.Start.Before(origin) {
			origin = ph.Start
		}
		if ph.End.After(end) {
			end = ph.End
		}
	}
	type span struct {
		track      string
		name, cat  string
		start, end time.Time
		args       map[string]any
	}
	var spans []span
	for _, v := range vs {
		if v.Start.IsZero() {
			continue // never started: queued when the run stopped
		}
		s := span{track: Track(v.Target, v.Platform), name: v.Label, cat: "vertex", start: v.Start, end: v.End,
			args: map[string]any{"target": v.Target, "digest": v.Digest, "vertex": v.Name, "status": "completed"}}
		if v.Platform != "" {
			s.args["platform"] = v.Platform
		}
		switch {
		case v.Error != "":
			s.cat, s.args["status"], s.args["error"] = "error", "error", v.Error
		case v.Cached:
			s.cat, s.args["status"] = "cached", "cached"
		case v.End.IsZero():
			s.args["status"], s.end = "incomplete", end
		}
		spans = append(spans, s)
	}
	for _, ph := range phases {
		track := "kiln"
		if ph.Target != "" {
			track = ph.Target + " (kiln)"
		}
		spans = append(spans, span{track: track, name: ph.Name, cat: "kiln", start: ph.Start, end: ph.End,
			args: map[string]any{"target": ph.Target}})
	}
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].track != spans[j].track {
			return spans[i].track < spans[j].track
		}
		return spans[i].start.Before(spans[j].start)
	})
	f := File{DisplayTimeUnit: "ms"}
	f.TraceEvents = append(f.TraceEvents, Event{Name: "process_name", Ph: "M", Pid: 1, Args: map[string]any{"name": "kiln bake"}})
	us := func(t time.Time) int64 { return t.Sub(origin).Microseconds() }
	tids := map[string]int{}
	var lanes map[string][]time.Time // track → end of each lane's last span
	lanes = map[string][]time.Time{}
	for _, s := range spans {
		lane := -1
		for i, e := range lanes[s.track] {
			if !s.start.Before(e) {
				lane = i
				break
			}
		}
		if lane < 0 {
			lanes[s.track] = append(lanes[s.track], time.Time{})
			lane = len(lanes[s.track]) - 1
		}
		lanes[s.track][lane] = s.end
		name := s.track
		if lane > 0 {
			name = s.track + " #" + itoa(lane+1)
		}
		tid, ok := tids[name]
		if !ok {
			tid = len(tids) + 1
			tids[name] = tid
			f.TraceEvents = append(f.TraceEvents,
				Event{Name: "thread_name", Ph: "M", Pid: 1, Tid: tid, Args: map[string]any{"name": name}},
				Event{Name: "thread_sort_index", Ph: "M", Pid: 1, Tid: tid, Args: map[string]any{"sort_index": tid}})
		}
		s.args["track"] = s.track
		f.TraceEvents = append(f.TraceEvents, Event{Name: s.name, Cat: s.cat, Ph: "X", Ts: us(s.start), Dur: us(s.end) - us(s.start), Pid: 1, Tid: tid, Args: s.args})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(f)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
