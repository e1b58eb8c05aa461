"""Stage 7: Authenticode for PowerShell scripts, and reading signatures back."""
