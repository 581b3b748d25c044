/**
 * The backend SPI: storage of keyed logs. A backend module implements {@link dev.cairn.spi.Backend}
 * and {@link dev.cairn.spi.BackendProvider}, and lists the provider in {@code
 * META-INF/services/dev.cairn.spi.BackendProvider}; {@link dev.cairn.Cairn#open(String)} finds it
 * by the location's scheme. The contract of each method, thread safety and crash atomicity
 * included, is on {@link dev.cairn.spi.Backend}; the test suites {@code
 * dev.cairn.testkit.BackendContract} and {@code DocumentStoreContract} (in cairn-core's test jar)
 * check a backend against it.
 */
package dev.cairn.spi;
