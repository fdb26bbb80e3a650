package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"
)

// CallPlan is what call results show of the plan besides the results, as
// data so that the report does not import the bake model.
type CallPlan struct {
	// Groups and Targets are the plan's groups and target definitions, by
	// name, each marshalling to its --print JSON.
	Groups  map[string]any
	Targets map[string]any
	// Descriptions are the targets' descriptions, by name.
	Descriptions map[string]string
}

// PrintCallResults prints the results of --call/--check targets to w the
// way `buildx bake` does: per target its name, description and result, in
// name order; global is the --call value, whose format and ignorestatus
// apply to every target. With format=json it prints one JSON document of
// every target's definition and result (PrintCallResultsJSON). It returns
// the exit status the results call for.
func PrintCallResults(w io.Writer, rep *Report, plan CallPlan, global *buildflags.CallFunc) int {
	if global != nil && global.Format == "json" {
		return PrintCallResultsJSON(w, rep, plan, global)
	}
	code, sep := 0, false
	for _, o := range rep.Outcomes {
		r := rep.Requests[o.Target]
		if r == nil || r.Call == nil {
			continue
		}
		f := callFunc(r.Call, global)
		if sep {
			fmt.Fprintln(w)
		}
		sep = true
		fmt.Fprintln(w, o.Target)
		if d := plan.Descriptions[o.Target]; d != "" {
			fmt.Fprintln(w, d)
		}
		fmt.Fprintln(w)
		n, err := printCallResult(w, f, o.Response, r.DockerfileSource)
		if err != nil {
			fmt.Fprintf(w, "error: %v\n", err)
			n = 1
		}
		if n != 0 && code == 0 {
			code = n
		}
	}
	return code
}

// PrintCallResultsJSON prints buildx's --call=...,format=json document:
// the plan's groups, and per target its definition ("build") and, for
// call targets, the result under the call's name ("check" for lint).
func PrintCallResultsJSON(w io.Writer, rep *Report, plan CallPlan, global *buildflags.CallFunc) int {
	code := 0
	results := map[string]map[string]any{}
	for _, o := range rep.Outcomes {
		r := rep.Requests[o.Target]
		if r == nil || r.Call == nil {
			continue
		}
		res := map[string]any{}
		var buf bytes.Buffer
		if n, err := printCallResult(&buf, callFunc(r.Call, global), o.Response, r.DockerfileSource); err != nil {
			res["error"] = err.Error()
			code = 1
		} else if n != 0 && code == 0 {
			code = n
		}
		m := map[string]*json.RawMessage{}
		if err := json.Unmarshal(buf.Bytes(), &m); err == nil {
			for k, v := range m {
				res[k] = v
			}
		} else {
			res[r.Call.Name] = json.RawMessage(buf.Bytes())
		}
		results[o.Target] = res
	}
	out := struct {
		Group  map[string]any            `json:"group,omitempty"`
		Target map[string]map[string]any `json:"target"`
	}{Group: plan.Groups, Target: map[string]map[string]any{}}
	for name, t := range plan.Targets {
		out.Target[name] = map[string]any{"build": t}
		if res, ok := results[name]; ok {
			key := rep.Requests[name].Call.Name
			if key == "lint" {
				key = "check"
			}
			out.Target[name][key] = res
		}
	}
	dt, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintf(w, "error: %v\n", err)
		return 1
	}
	fmt.Fprintln(w, string(dt))
	return code
}

// callFunc is the target's call with the --call flag's format and
// ignorestatus, as buildx applies them.
func callFunc(c, global *buildflags.CallFunc) *buildflags.CallFunc {
	f := *c
	if global != nil {
		f.Format, f.IgnoreStatus = global.Format, global.IgnoreStatus
	}
	return &f
}

// printCallResult is buildx's printResult for one target.
// dockerfile names the Dockerfile in lint reports.
func printCallResult(w io.Writer, f *buildflags.CallFunc, res map[string]string, dockerfile string) (int, error) {
	switch f.Name {
	case "outline":
		return 0, printValue(w, outline.PrintOutline, f.Format, res)
	case "targets":
		return 0, printValue(w, targets.PrintTargets, f.Format, res)
	case "lint":
		var lr lint.LintResults
		if dt, ok := res["result.json"]; ok {
			if err := json.Unmarshal([]byte(dt), &lr); err != nil {
				return 0, err
			}
		}
		if f.Format != "json" && len(lr.Warnings) > 0 {
			if len(lr.Warnings) == 1 {
				fmt.Fprintln(w, "Check complete, 1 warning has been found!")
			} else {
				fmt.Fprintf(w, "Check complete, %d warnings have been found!\n", len(lr.Warnings))
			}
		}
		source := func(si *pb.SourceInfo) *pb.SourceInfo {
			if si == nil || dockerfile == "" {
				return si
			}
			si = proto.Clone(si).(*pb.SourceInfo)
			si.Filename = dockerfile
			return si
		}
		err := printValue(w, func(dt []byte, w io.Writer) error { return lr.PrintTo(w, source) }, f.Format, res)
		if err != nil {
			return 0, err
		}
		if lr.Error != nil {
			if f.Format != "json" && len(lr.Warnings) > 0 {
				fmt.Fprintln(w)
			}
			var b bytes.Buffer
			lr.PrintErrorTo(&b, source)
			return 0, errors.New(b.String())
		} else if len(lr.Warnings) == 0 && f.Format != "json" {
			fmt.Fprintln(w, "Check complete, no warnings found.")
		}
	default:
		if dt, ok := res["result.json"]; ok && f.Format == "json" {
			fmt.Fprintln(w, dt)
		} else if dt, ok := res["result.txt"]; ok {
			fmt.Fprint(w, dt)
		} else {
			fmt.Fprintf(w, "%s %+v\n", f, res)
		}
	}
	if v, ok := res["result.statuscode"]; !f.IgnoreStatus && ok {
		if n, err := strconv.Atoi(v); err == nil && n != 0 {
			return n, nil
		}
	}
	return 0, nil
}

func printValue(w io.Writer, print func([]byte, io.Writer) error, format string, res map[string]string) error {
	if format == "json" {
		fmt.Fprintln(w, res["result.json"])
		return nil
	}
	return print([]byte(res["result.json"]), w)
}
