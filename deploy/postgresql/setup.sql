-- The service database on the county's PostgreSQL (14 or later). Run as the postgres superuser:
--   sudo -u postgres psql -v password="'<a long random password>'" -f deploy/postgresql/setup.sql
-- then set in /etc/shouhu/shouhu.env:
--   SHOUHU_DATABASE_URL=postgresql+psycopg://shouhu:<password>@127.0.0.1:5432/shouhu
-- The tables come from the migrations (`shouhu db upgrade`), never from this file.
CREATE ROLE shouhu LOGIN PASSWORD :password;
CREATE DATABASE shouhu OWNER shouhu ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE shouhu FROM PUBLIC;
\connect shouhu
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO shouhu;
