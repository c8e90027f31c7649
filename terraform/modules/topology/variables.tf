# The same checks as the root module's variables, so the module cannot be
# handed a bad value by another caller either.

variable "nodes" {
  description = "Region slug => number of nodes there, e.g. { ams3 = 3, sfo3 = 1, nyc3 = 1, sgp1 = 1 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for region in keys(var.nodes) : can(regex("^[a-z]{3}[0-9]$", region))])
    error_message = "Each key of nodes must be a DigitalOcean region slug: three lowercase letters and a digit, e.g. ams3."
  }

  validation {
    condition     = alltrue([for count in values(var.nodes) : count >= 0 && count <= 50 && floor(count) == count])
    error_message = "Each count in nodes must be a whole number from 0 to 50."
  }
}

variable "name_prefix" {
  description = "First part of every hostname (names become MagicDNS names): 1-20 lowercase letters, digits or hyphens, starting with a letter."
  type        = string
  default     = "e3"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "suffixes" {
  description = "Node key (\"<region>-<index>\") => suffix appended to its name. A node without an entry has no suffix."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for suffix in values(var.suffixes) : can(regex("^[a-z0-9]*$", suffix))])
    error_message = "Suffixes may hold only lowercase letters and digits (they end up in hostnames)."
  }
}
