package fleet

import (
	"context"
	"database/sql"
	"embed"

	"github.com/nhs-jigsaw/jigsaw/internal/sqlitedb"
)

// The fleet's tables live in the central database beside the league's, with their own migrations.

//go:embed migrations/*.sql
var migrationFiles embed.FS

func openDB(ctx context.Context, file string) (*sql.DB, error) {
	return sqlitedb.Open(ctx, file, sqlitedb.Schema{Name: "fleet", Files: migrationFiles, Dir: "migrations"})
}
