package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/sourcepolicy/policysession"
)

// PrintSummary writes one line per target (status and what it produced),
// then the error and the failing step's log of each failed target.
func PrintSummary(w io.Writer, rep *Report, node string) {
	counts := map[schedule.Status]int{}
	for _, o := range rep.Outcomes {
		counts[o.Status]++
	}
	var parts []string
	for _, s := range []schedule.Status{schedule.Succeeded, schedule.Failed, schedule.Aborted, schedule.NotStarted} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	upToDate := 0
	for _, o := range rep.Outcomes {
		if o.UpToDate {
			upToDate++
		}
	}
	if upToDate > 0 {
		parts[0] += fmt.Sprintf(" (%d up to date)", upToDate) // parts[0] is the succeeded count
	}
	fmt.Fprintf(w, "\nkiln: %d target(s) on %s: %s\n", len(rep.Outcomes), node, strings.Join(parts, ", "))
	tw := tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)
	now := time.Now()
	for _, o := range rep.Outcomes {
		what := describe(rep.Requests[o.Target], o)
		if o.Status != schedule.Succeeded && o.Err != nil {
			what = firstLine(o.Err.Error())
		}
		status := string(o.Status)
		if o.UpToDate {
			status = "up to date (built " + ago(o.Built, now) + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.Target, status, what)
	}
	tw.Flush()
	if t := rep.Trace(); t != nil {
		if cp := t.CriticalPath().String(); cp != "" {
			fmt.Fprintf(w, "  %s\n", cp)
		}
	}
	for _, o := range rep.Outcomes {
		if o.Status == schedule.Succeeded {
			continue
		}
		if o.Status == schedule.Failed {
			fmt.Fprintln(w)
			printDenyMessages(w, o.Err)
			fmt.Fprintf(w, "ERROR: target %s: %v\n", o.Target, o.Err)
			if step, log := rep.FailedStep(o.Target); step != "" {
				fmt.Fprintf(w, "  failing step: %s\n", step)
				for _, l := range log {
					fmt.Fprintf(w, "  | %s\n", l)
				}
			}
		}
		if pushes(rep, o.Target) {
			fmt.Fprintf(w, "  %s was not (completely) pushed\n", o.Target)
		}
	}
}

// describe says what a successful target produced.
func describe(r *request.Request, o schedule.Outcome) string {
	if r == nil {
		return ""
	}
	if r.Call != nil {
		return "call " + r.Call.Name
	}
	var out []string
	for _, e := range r.Exports {
		switch {
		case e.Push():
			s := "pushed " + e.Attrs["name"]
			if d := o.Response["containerimage.digest"]; d != "" {
				s += " " + d
			}
			out = append(out, s)
		case e.Load:
			out = append(out, "loaded into docker")
		case e.Dir != "":
			out = append(out, e.Type+" "+e.Dir)
		case e.File == "-":
			out = append(out, e.Type+" to stdout")
		case e.File != "":
			out = append(out, e.Type+" "+e.File)
		default:
			out = append(out, e.Type)
		}
	}
	if len(out) == 0 {
		return "build cache only"
	}
	return strings.Join(out, "; ")
}

func pushes(rep *Report, target string) bool {
	r := rep.Requests[target]
	return r != nil && r.Pushes()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// printDenyMessages prints the messages of the policy that denied a source,
// as buildx does before its error ("Policy: ...").
func printDenyMessages(w io.Writer, err error) {
	for _, m := range policysession.DenyMessages(err) {
		if m.GetMessage() != "" {
			fmt.Fprintf(w, "Policy: %s\n", m.GetMessage())
		}
	}
}

// ago says how long before now t was, for an up-to-date target's line.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
