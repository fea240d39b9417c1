package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/schemas"
)

type schemaOptions struct {
	IO     IO
	Format string // for the list: table or json
	Name   string
}

func newSchemaCmd(streams IO) *cobra.Command {
	o := schemaOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "schema [NAME]",
		Short: "Print the JSON Schema of a Jigsaw file format, or list them",
		Long: `Jigsaw publishes a JSON Schema for each of its file formats (checklists, answers files,
probe results, ...). Editors can use them to check files as you type; jigsaw validates its
inputs against exactly these schemas. Without NAME the schemas are listed.`,
		Example: `  jigsaw schema
  jigsaw schema checklist > checklist.schema.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			return runSchema(c.Context(), o)
		},
	}
	addOutputFlag(cmd, &o.Format, false)
	return cmd
}

type schemaSummary = cliout.SchemaSummary

func runSchema(_ context.Context, o schemaOptions) error {
	if o.Format != "table" && o.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", o.Format)
	}
	if o.Name != "" {
		b, err := schemas.JSON(o.Name)
		if err != nil {
			return usageErrorf("%v", err)
		}
		_, err = o.IO.Out.Write(b)
		return err
	}
	var list []schemaSummary
	for _, name := range schemas.Names() {
		b, err := schemas.JSON(name)
		if err != nil {
			return err
		}
		var head struct {
			ID    string `json:"$id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return fmt.Errorf("read schema %s: %w", name, err)
		}
		list = append(list, schemaSummary{Name: name, File: schemas.FileName(name), Title: head.Title, ID: head.ID})
	}
	if o.Format == "json" {
		return checklistJSON(o.IO.Out, list)
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTITLE\tID")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Title, s.ID)
	}
	return tw.Flush()
}
