package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The login limits hold when many attempts arrive at once. */
class LoginGuardTest {
  @Test
  void attemptsArrivingTogetherNeverGetMoreThanTheBurst() throws Exception {
    LoginGuard guard = new LoginGuard(1, () -> 0); // a clock that stands still: no refill
    for (int round = 0; round < 1000; round++) {
      String address = "10.0.0." + round;
      String userPrefix = "user-" + round + "-";
      AtomicInteger admitted = new AtomicInteger();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 32; t++) {
        int k = t;
        Thread thread =
            new Thread(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    return;
                  }
                  if (guard.admit(address, userPrefix + k) == 0) {
                    admitted.incrementAndGet();
                  }
                });
        thread.start();
        threads.add(thread);
      }
      go.countDown();
      for (Thread thread : threads) {
        thread.join();
      }
      assertThat(admitted.get()).as("round %d", round).isEqualTo(LoginGuard.BURST);
    }
  }
}
