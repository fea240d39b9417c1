package league

import (
	"context"
	"database/sql"
	"embed"

	"github.com/nhs-jigsaw/jigsaw/internal/sqlitedb"
)

// The league's tables live in the central database beside the fleet's, with their own migrations.

//go:embed migrations/*.sql
var migrationFiles embed.FS

func openDB(ctx context.Context, file string) (*sql.DB, error) {
	return sqlitedb.Open(ctx, file, sqlitedb.Schema{Name: "league", Files: migrationFiles, Dir: "migrations"})
}
