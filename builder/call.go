package builder

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
)

// PrintCallResults prints the results of --call/--check targets to w the
// way `buildx bake` does: per target its name, description and result, in
// name order. It returns the exit status the results call for.
func PrintCallResults(w io.Writer, rep *Report, descriptions map[string]string) int {
	code, sep := 0, false
	for _, o := range rep.Outcomes {
		r := rep.Requests[o.Target]
		if r == nil || r.Call == nil {
			continue
		}
		if sep {
			fmt.Fprintln(w)
		}
		sep = true
		fmt.Fprintln(w, o.Target)
		if d := descriptions[o.Target]; d != "" {
			fmt.Fprintln(w, d)
		}
		fmt.Fprintln(w)
		n, err := printCallResult(w, r.Call, o.Response, r)
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

// printCallResult is buildx's printResult for one target.
func printCallResult(w io.Writer, f *buildflags.CallFunc, res map[string]string, r *Request) (int, error) {
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
		source := func(si *pb.SourceInfo) *pb.SourceInfo { return si }
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
