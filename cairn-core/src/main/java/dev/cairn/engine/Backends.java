package dev.cairn.engine;

import dev.cairn.InvalidLocationException;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import dev.cairn.spi.Locations;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Opens the backend of a location, found among the providers on the class path. */
public final class Backends {
  private Backends() {}

  public static Backend open(String location, BackendOptions options) {
    String scheme = Locations.scheme(location);
    List<String> known = new ArrayList<>();
    for (BackendProvider provider :
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
      if (provider.schemes().contains(scheme)) {
        return provider.open(location, options);
      }
      known.addAll(provider.schemes());
    }
    throw new InvalidLocationException(
        "no backend for scheme '%s' in location '%s'; the backends installed open: %s"
            .formatted(scheme, Locations.redact(location), String.join(", ", known)));
  }
}
