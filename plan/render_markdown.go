package plan

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// MarkdownMarker is the hidden first line of the markdown plan, so a CI job can find and update
// its pull-request comment in place.
const MarkdownMarker = "<!-- inboxctl-plan -->"

// DefaultMaxRows is the number of rows the markdown tables show when MarkdownOptions.MaxRows is 0.
const DefaultMaxRows = 100

// MarkdownOptions tune RenderMarkdown.
type MarkdownOptions struct {
	// MaxRows caps the deletes list, the table of changes and the details block, so that a plan
	// of thousands of changes stays a readable comment; 0 means DefaultMaxRows.
	MaxRows int
}

// RenderMarkdown writes p for a pull-request comment: the marker line, the summary line, the
// warnings, the deletes first, a table of changes, and the text plan in a collapsible block.
func RenderMarkdown(w io.Writer, p *Plan, o MarkdownOptions) error {
	max := o.MaxRows
	if max <= 0 {
		max = DefaultMaxRows
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\n**%s**\n", MarkdownMarker, SummaryLine(p))
	for _, warn := range p.Warnings {
		fmt.Fprintf(bw, "\n> :warning: %s\n", mdEscape(warn))
	}
	if p.HasChanges() {
		var deletes []int
		for i := range p.Changes {
			if a := p.Changes[i].Action; a == Delete || a == Replace {
				deletes = append(deletes, i)
			}
		}
		if len(deletes) > 0 {
			fmt.Fprintf(bw, "\n### Deletes (%d)\n\n", len(deletes))
			for n, i := range deletes {
				if n == max {
					fmt.Fprintf(bw, "- … and %d more\n", len(deletes)-max)
					break
				}
				c := &p.Changes[i]
				line := fmt.Sprintf("- `%s` %s %s", actionSymbol(c.Action), c.Kind, mdCode(c.Key))
				if len(c.TakesDown) > 0 {
					line += ", takes down " + takesDownSummary(c.TakesDown)
				}
				if c.Action == Replace {
					line += " (replaced: " + strings.Join(c.Fields, ", ") + ")"
				}
				bw.WriteString(line + "\n")
			}
		}
		fmt.Fprintf(bw, "\n### Changes (%d)\n\n| # | action | kind | key | fields | source |\n|---:|---|---|---|---|---|\n", len(p.Changes))
		for i := range p.Changes {
			if i == max {
				fmt.Fprintf(bw, "\n… and %d more\n", len(p.Changes)-max)
				break
			}
			c := &p.Changes[i]
			fmt.Fprintf(bw, "| %d | %s | %s | %s | %s | %s |\n", i+1, c.Action, c.Kind, mdCode(c.Key),
				mdEscape(strings.Join(c.Fields, ", ")), mdEscape(c.Source))
		}
		var text bytes.Buffer
		shown := *p
		shown.Warnings = nil
		if len(shown.Changes) > max {
			shown.Changes = cutChanges(p.Changes, max)
		}
		if err := RenderText(&text, &shown, TextOptions{}); err != nil {
			return err
		}
		body := strings.TrimRight(text.String(), "\n")
		if len(shown.Changes) < len(p.Changes) {
			// The summary line RenderText wrote counts the whole plan; say what was left out.
			body += fmt.Sprintf("\n(the first %d of %d changes; run inboxctl plan for all of them)", len(shown.Changes), len(p.Changes))
		}
		fmt.Fprintf(bw, "\n<details><summary>Details</summary>\n\n```\n%s\n```\n\n</details>\n", strings.ReplaceAll(body, "```", "'''"))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plan: write markdown: %w", err)
	}
	return nil
}

// cutChanges returns the first n changes, with causes and dependencies beyond them dropped.
func cutChanges(changes []Change, n int) []Change {
	out := make([]Change, n)
	copy(out, changes[:n])
	for i := range out {
		if out[i].Cause >= n {
			out[i].Cause = -1
		}
	}
	return out
}

func actionSymbol(a Action) string {
	s, _ := symbol(a)
	return strings.TrimSpace(s)
}

// mdEscape makes s safe inside a markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// mdCode formats s as inline code safe in a table cell.
func mdCode(s string) string {
	s = strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
	return "`" + s + "`"
}
