# The root module's input checks, run by xtask/tests/terraform.rs against a
# copy of ../variables.tf alone: the root module itself cannot be planned on
# machines that reach no provider registry, but its variables need none.
# (Kept out of ../tests/, where `terraform test` in the root would pick it
# up and need the providers.)

variables {
  image_file      = "/nix/store/0000-digital-ocean-image/nixos-image-digital-ocean-26.05-x86_64-linux.qcow2.gz"
  spaces_bucket   = "e3-images"
  ssh_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnly me@laptop"]
}

run "e3_experiment_and_defaults" {
  command = plan

  variables {
    nodes = { ams3 = 3, sfo3 = 1, nyc3 = 1, sgp1 = 1 }
  }
}

run "security_key" {
  command = plan

  variables {
    ssh_public_keys = ["sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t me@laptop"]
  }
}

run "bad_region_slug" {
  command = plan

  variables {
    nodes = { amsterdam = 1 }
  }

  expect_failures = [var.nodes]
}

run "negative_count" {
  command = plan

  variables {
    nodes = { ams3 = -1 }
  }

  expect_failures = [var.nodes]
}

run "no_ssh_keys" {
  command = plan

  variables {
    ssh_public_keys = []
  }

  expect_failures = [var.ssh_public_keys]
}

run "not_an_ssh_key" {
  command = plan

  variables {
    ssh_public_keys = ["AAAAC3NzaC1lZDI1NTE5"]
  }

  expect_failures = [var.ssh_public_keys]
}

run "not_a_qcow2_image" {
  command = plan

  variables {
    image_file = "nixos.iso"
  }

  expect_failures = [var.image_file]
}

run "tailnet_tag_without_prefix" {
  command = plan

  variables {
    tailnet_tags = ["e3"]
  }

  expect_failures = [var.tailnet_tags]
}

run "key_expiry_too_short" {
  command = plan

  variables {
    tailnet_key_expiry_seconds = 60
  }

  expect_failures = [var.tailnet_key_expiry_seconds]
}

run "name_prefix_too_long" {
  command = plan

  variables {
    name_prefix = "a-very-long-name-prefix"
  }

  expect_failures = [var.name_prefix]
}

run "bucket_name_with_capitals" {
  command = plan

  variables {
    spaces_bucket = "E3_Images"
  }

  expect_failures = [var.spaces_bucket]
}

run "droplet_size_not_a_slug" {
  command = plan

  variables {
    droplet_size = "S 1"
  }

  expect_failures = [var.droplet_size]
}

run "droplet_tag_with_space" {
  command = plan

  variables {
    tags = ["e3 nodes"]
  }

  expect_failures = [var.tags]
}

# image_url has no validation here: the precondition on the custom image
# (image.tf) checks it, and only where an image is kept. Unset, it is null,
# so a plan with no image (e.g. `destroy --all`) needs none.
run "image_url_defaults_to_null" {
  command = plan

  assert {
    condition     = var.image_url == null
    error_message = "image_url must default to null."
  }
}
