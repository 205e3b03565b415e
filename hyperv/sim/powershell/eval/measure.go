package eval

// Measure-Object (5.1): Count, and with -Sum -Average -Maximum -Minimum
// those of each -Property, as GenericMeasureInfo objects.

import "math"

func measureObject(c *Call) error {
	items := c.inputs()
	props := c.Strings("Property")
	if len(props) == 0 {
		props = []string{""}
	}
	for _, p := range props {
		var count int32
		var sum float64
		minV, maxV := math.Inf(1), math.Inf(-1)
		found := false
		for _, it := range items {
			v := it
			if p != "" {
				x, ok := hasMember(it, p)
				if !ok {
					continue
				}
				v = x
			}
			found = true
			count++
			if c.Has("Sum") || c.Has("Average") || c.Has("Maximum") || c.Has("Minimum") {
				_, f, _, ok := toNumber(v)
				if !ok {
					rec := c.Record("InvalidArgument", ":", "PSInvalidOperationException", "NonNumericInputObject", "Input object \""+toString(v)+"\" is not numeric.")
					if err := c.WriteError(rec); err != nil {
						return err
					}
					continue
				}
				sum += f
				minV, maxV = math.Min(minV, f), math.Max(maxV, f)
			}
		}
		if p != "" && !found && len(items) > 0 {
			rec := c.Record("InvalidArgument", ":", "PSArgumentException", "GenericMeasurePropertyNotFound", "The property \""+p+"\" cannot be found in the input for any objects.")
			if err := c.WriteError(rec); err != nil {
				return err
			}
			continue
		}
		opt := func(on bool, v float64) any {
			if !on || count == 0 {
				return nil
			}
			return v
		}
		var prop any
		if p != "" {
			prop = p
		}
		c.Out(NewObject("Microsoft.PowerShell.Commands.GenericMeasureInfo",
			Prop{"Count", count},
			Prop{"Average", opt(c.Has("Average"), sum/float64(max(count, 1)))},
			Prop{"Sum", opt(c.Has("Sum"), sum)},
			Prop{"Maximum", opt(c.Has("Maximum"), maxV)},
			Prop{"Minimum", opt(c.Has("Minimum"), minV)},
			Prop{"Property", prop}))
	}
	return nil
}
