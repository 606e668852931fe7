package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RenderJSON writes p as the JSON plan format (the PLANFILE), indented.
func RenderJSON(w io.Writer, p *Plan) error {
	out := *p
	out.FormatVersion = FormatVersion
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("plan: write json: %w", err)
	}
	return nil
}

// ReadJSON reads a plan written by RenderJSON. It refuses another format_version, unknown
// actions and kinds, and dependency or cause indexes that point nowhere or forward.
func ReadJSON(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan: read plan file: %w", err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan: plan file has format_version %q; this inboxctl reads %q", p.FormatVersion, FormatVersion)
	}
	var errs []error
	for i := range p.Changes {
		c := &p.Changes[i]
		switch c.Action {
		case Create, Update, Delete, Replace:
		default:
			errs = append(errs, fmt.Errorf("plan: plan file: change %d: unknown action %q", i, c.Action))
		}
		switch c.Kind {
		case KindUser, KindAccount, KindMember, KindAppClient:
		default:
			errs = append(errs, fmt.Errorf("plan: plan file: change %d: unknown kind %q", i, c.Kind))
		}
		if c.Action != Create && c.Before == nil {
			errs = append(errs, fmt.Errorf("plan: plan file: change %d: %s without before", i, c.Action))
		}
		if c.Action != Delete && c.After == nil {
			errs = append(errs, fmt.Errorf("plan: plan file: change %d: %s without after", i, c.Action))
		}
		for _, d := range c.DependsOn {
			if d < 0 || d >= i {
				errs = append(errs, fmt.Errorf("plan: plan file: change %d depends on %d, which does not run before it", i, d))
			}
		}
		if c.Cause < -1 || c.Cause >= len(p.Changes) || c.Cause == i {
			errs = append(errs, fmt.Errorf("plan: plan file: change %d: cause %d points nowhere", i, c.Cause))
		}
		if c.DependsOn == nil {
			c.DependsOn = []int{}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	return &p, nil
}
