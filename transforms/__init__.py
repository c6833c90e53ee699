"""Pure transforms: frames in, frames out. No Prefect here."""
